import sys

from customer_scoring.cli import main

sys.exit(main())
