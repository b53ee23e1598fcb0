from retrylint.frontends.cli import main

raise SystemExit(main())
