Feature: Data objects are given an input
  Scenario: every data object has an input
    Given I have DATA_TYPE defined
    Then it must contain input
