from apiswitch.cli import main

raise SystemExit(main())
