"""Open eGov VN: the e-government platform of a Vietnamese province."""

__version__ = "0.1.0"
