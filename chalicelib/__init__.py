"""picset's deployable library: everything the Lambda and the API need at run time."""
