"""pytest configuration of the bank statement parser tests (pure Python, no database).

* The helper modules of this folder (``bank_samples``, ``bank_camt_builder``,
  ``bank_test_utils``) are importable whatever pytest's import mode.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
