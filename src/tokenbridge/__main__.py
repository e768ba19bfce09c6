from tokenbridge.cli import main

raise SystemExit(main())
