# The package version equals the libwasinn version it is written against (Cargo.toml's
# [package] version); tests/test_library.py checks both against each other.
__version__ = "0.1.0"
