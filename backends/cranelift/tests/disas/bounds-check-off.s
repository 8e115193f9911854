;; An unverified context load with `Config::bounds_check` off: no check at all.
;;! bounds-check: off
ldxw %r0, [%r1+4]
exit
