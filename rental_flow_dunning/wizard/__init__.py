from . import rental_dunning_launch
