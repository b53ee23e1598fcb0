from retrylint.cli import main

raise SystemExit(main())
