/* The C tests' one assertion (on failure, print where and what, and fail the test) and one
 * file reader. */
#ifndef OXBPF_CHECK_H
#define OXBPF_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        check_count++;                                                                   \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                               \
    do {                                                                                 \
        unsigned long long check_a_ = (unsigned long long)(a);                           \
        unsigned long long check_b_ = (unsigned long long)(b);                           \
        check_count++;                                                                   \
        if (check_a_ != check_b_) {                                                      \
            fprintf(stderr, "%s:%d: %s == %s failed: %#llx != %#llx\n", __FILE__,        \
                    __LINE__, #a, #b, check_a_, check_b_);                               \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

/* The bytes of file `path` (malloc'd for the caller to free) and their count in *len, or NULL. */
static inline unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

/* Ends main: prints the tally, exit status 0 only if every check held. */
static int check_done(void)
{
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures == 0 && check_count > 0 ? 0 : 1;
}

#endif
