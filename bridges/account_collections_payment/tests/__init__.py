from . import test_pay_now
