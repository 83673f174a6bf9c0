Feature: Passwords are handed over
  Scenario: the database's input carries a password
    Given I have DATA_TYPE defined
    When its name is "db"
    Then it must contain input
    And it must contain password
