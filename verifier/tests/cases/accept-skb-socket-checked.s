# accept
# context: type sched_cls
# skb->sk, checked for null, then its family and destination port (bpf_sock's common part).
ldxdw %r6, [%r1+168]
mov %r0, 0
jeq %r6, 0, out
ldxw %r7, [%r6+4]
ldxh %r0, [%r6+48]
out:
exit
