;; tablebomb: a table of ten million elements (80 MB of kernel memory if it were made): the
;; kernel must refuse to start it, with the reason (the task's `tables =` limit).
(module
  (table 10000000 funcref)
  (func (export "_start")))
