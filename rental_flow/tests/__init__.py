from . import test_lease
from . import test_rent_calls
from . import test_virtual_iban
from . import test_reports
from . import test_security
