# reject: insn 0: `bpf_get_current_pid_tgid` may not be called by xdp programs
# context: type xdp
call 14
mov %r0, 2
exit
