/* USDT probes without sys/sdt.h: TRACEC_USDT_NOTE(provider, name, semaphore, args) is an
 * asm string that places a `nop` at the probe site and a `.note.stapsdt` note holding its
 * address, the `.stapsdt.base` address, the semaphore address ("0" for none), the provider,
 * the name and the argument specs (`SIZE@OPERAND`, with operands like `%0` filled in by the
 * asm statement's operands). Shared by tests/fixtures/usdt_test.c and tests/testprogs/. */
#ifndef TRACEC_USDT_H
#define TRACEC_USDT_H

#define TRACEC_USDT_NOTE(provider, name, sema, args)                          \
    "990: nop\n"                                                              \
    ".pushsection .note.stapsdt,\"\",\"note\"\n"                              \
    ".balign 4\n"                                                             \
    ".4byte 992f-991f, 994f-993f, 3\n"                                        \
    "991: .asciz \"stapsdt\"\n"                                               \
    "992: .balign 4\n"                                                        \
    "993: .8byte 990b\n"                                                      \
    ".8byte _.stapsdt.base\n"                                                 \
    ".8byte " sema "\n"                                                       \
    ".asciz \"" provider "\"\n"                                               \
    ".asciz \"" name "\"\n"                                                   \
    ".asciz \"" args "\"\n"                                                   \
    "994: .balign 4\n"                                                        \
    ".popsection\n"                                                           \
    ".ifndef _.stapsdt.base\n"                                                \
    ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"  \
    ".weak _.stapsdt.base\n"                                                  \
    ".hidden _.stapsdt.base\n"                                                \
    "_.stapsdt.base: .space 1\n"                                              \
    ".size _.stapsdt.base, 1\n"                                               \
    ".popsection\n"                                                           \
    ".endif\n"

/* Typed probes, the way sys/sdt.h writes them: TRACEC_USDTn(provider, name, sema, a1..an)
 * gives each argument the operand constraint "nor" (a constant, an offsettable memory
 * reference or a register, whichever the compiler has it in) and writes its spec as
 * `SIZE@OPERAND` with SIZE negative for signed types. Arrays and pointers are 8-byte
 * unsigned (an array is passed as its address). `sema` is the semaphore's symbol, or "0". */
#define TRACEC_USDT_PTRLIKE(x) \
    (__builtin_classify_type(x) == 5 || __builtin_classify_type(x) == 14)
#define TRACEC_USDT_SIZE(x) ((int)(TRACEC_USDT_PTRLIKE(x) ? sizeof(void *) : sizeof(x)))
#define TRACEC_USDT_SIGNED(x)                                                  \
    _Generic((x), signed char: 1, short: 1, int: 1, long: 1, long long: 1,    \
             char: ((char)-1 < 0), default: 0)
#define TRACEC_USDT_VAL(x) \
    __builtin_choose_expr(TRACEC_USDT_PTRLIKE(x), (unsigned long)(x), (x))
#define TRACEC_USDT_OP(n, x)                                                   \
    [_tracec_s##n] "n"(TRACEC_USDT_SIGNED(x) ? -TRACEC_USDT_SIZE(x) : TRACEC_USDT_SIZE(x)), \
    [_tracec_a##n] "nor"(TRACEC_USDT_VAL(x))
#define TRACEC_USDT_SPEC(n) "%c[_tracec_s" #n "]@%[_tracec_a" #n "]"

#define TRACEC_USDT_ASM(provider, name, sema, specs, ...) \
    __asm__ __volatile__(TRACEC_USDT_NOTE(provider, name, sema, specs) :: __VA_ARGS__)

#define TRACEC_USDT0(p, n, s) TRACEC_USDT_ASM(p, n, s, "")
#define TRACEC_USDT1(p, n, s, a) \
    TRACEC_USDT_ASM(p, n, s, TRACEC_USDT_SPEC(1), TRACEC_USDT_OP(1, a))
#define TRACEC_USDT2(p, n, s, a, b)                                            \
    TRACEC_USDT_ASM(p, n, s, TRACEC_USDT_SPEC(1) " " TRACEC_USDT_SPEC(2),     \
                    TRACEC_USDT_OP(1, a), TRACEC_USDT_OP(2, b))
#define TRACEC_USDT_SPECS12                                                    \
    TRACEC_USDT_SPEC(1) " " TRACEC_USDT_SPEC(2) " " TRACEC_USDT_SPEC(3) " "   \
    TRACEC_USDT_SPEC(4) " " TRACEC_USDT_SPEC(5) " " TRACEC_USDT_SPEC(6) " "   \
    TRACEC_USDT_SPEC(7) " " TRACEC_USDT_SPEC(8) " " TRACEC_USDT_SPEC(9) " "   \
    TRACEC_USDT_SPEC(10) " " TRACEC_USDT_SPEC(11) " " TRACEC_USDT_SPEC(12)
#define TRACEC_USDT12(p, n, s, a, b, c, d, e, f, g, h, i, j, k, l)            \
    TRACEC_USDT_ASM(p, n, s, TRACEC_USDT_SPECS12, TRACEC_USDT_OP(1, a),       \
                    TRACEC_USDT_OP(2, b), TRACEC_USDT_OP(3, c),               \
                    TRACEC_USDT_OP(4, d), TRACEC_USDT_OP(5, e),               \
                    TRACEC_USDT_OP(6, f), TRACEC_USDT_OP(7, g),               \
                    TRACEC_USDT_OP(8, h), TRACEC_USDT_OP(9, i),               \
                    TRACEC_USDT_OP(10, j), TRACEC_USDT_OP(11, k),             \
                    TRACEC_USDT_OP(12, l))

#endif
