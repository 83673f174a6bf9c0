items:
%{ for x in xs ~}
  - ${x}
%{ endfor ~}
end
  ${~ "b"}
