"""Column types of the numbers on a sales document, the same in every service that stores them.

Orders stores what billing later reconciles to the cent, so an amount, a quantity or a
percentage must hold the same digits in both databases.
"""

from sqlalchemy import Numeric

# 16 digits before the point, 2 after: `pricing.MAX_AMOUNT`, `pricing.STORAGE_DECIMALS`.
MONEY = Numeric(18, 2)
QUANTITY = Numeric(15, 3)
PERCENT = Numeric(7, 4)
