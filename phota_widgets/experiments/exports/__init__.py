"""A sweep exported: preference data for trainers, MLflow runs, a folder whole in itself.

``preferences`` (TRL / Pick-a-Pic / JSON lines writers) + ``preference_data`` (a sweep's
judgements and picks as rows), ``mlflow_export`` (a parent run per sweep, a child per cell),
``folder`` (images with their settings embedded, report, table and preference data).
"""
