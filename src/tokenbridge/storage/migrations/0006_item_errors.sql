-- An Item can be in error (Plaid's `item.error`): the code of its error, NULL while it is
-- healthy. /sandbox/item/reset_login sets ITEM_LOGIN_REQUIRED; a repair clears it.
ALTER TABLE items ADD COLUMN error_code TEXT;
