# The English pages show the same figures as the Greek ones (dd/mm/yyyy, 24-hour times): the product
# serves one country, whose dates do not change with the interface language.
DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1
