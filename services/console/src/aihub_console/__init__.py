"""The staff console: a backend-for-frontend over the three services' HTTP APIs."""
