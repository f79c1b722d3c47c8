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

#endif
