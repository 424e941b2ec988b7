"""One module per notebook (``nbNN.py``) registering that notebook's autograded questions."""
