#!/usr/bin/env python
from maillage.__main__ import main

if __name__ == "__main__":
    main()
