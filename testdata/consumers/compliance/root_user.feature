Feature: Nothing runs as root
  Scenario: no data object names root as its user
    Given I have DATA_TYPE defined
    When it has input
    And it contains user
    Then its value must not match the "root" regex
