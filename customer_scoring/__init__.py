"""customer-scoring: a dbt project and its runner for scored, segmented customer and lead marts."""

__version__ = "0.1.0"
