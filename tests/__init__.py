from . import test_foundation
from . import test_credit
from . import test_ladder
from . import test_promise
from . import test_letters
from . import test_security
from . import test_tour
from . import test_trust
