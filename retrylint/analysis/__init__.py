"""Reading code: parse, the module model, retry layers, reach to billable calls, the project around a module."""
