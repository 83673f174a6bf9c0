Feature: Objects are replaced only by a new release
  Scenario: every data object has a replacement trigger
    Given I have DATA_TYPE defined
    Then it must contain triggers_replace
