# shop ${env}, version ${version}
%{ for r in replicas ~}
replica ${r}
%{ endfor ~}
