"""The tests, by layer. A package so that test modules import their helpers by full name
(`from tests.scenarios.scenario_world import ...`) with the repository root on sys.path."""
