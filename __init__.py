"""budgetpdf: Chinese budget and final-account PDFs to exact, classified, checked data."""

__version__ = "0.1.0"
