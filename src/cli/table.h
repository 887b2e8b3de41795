/*
 * A text table for the CLI's views (dmsc faces, dmsc service list...):
 * columns left-aligned (or right-aligned, per column, except the header),
 * two spaces apart, the last column unpadded. Cells are added row by row,
 * the first row being the header.
 *
 *     dmsc_cli_table_t t;
 *     dmsc_cli_table_init(&t, 2);
 *     dmsc_cli_table_cell(&t, "PREFIX");
 *     dmsc_cli_table_cell(&t, "COST");
 *     t.right[1] = true;
 *     dmsc_cli_table_cell(&t, "%s", prefix);
 *     dmsc_cli_table_cell(&t, "%u", cost);
 *     dmsc_cli_table_print(&t, stdout);
 *     if (t.err) ... out of memory: rows are missing
 *
 * Header-only (static inline): tests/unit/test_admin.c compiles cmd_node.c
 * into its own program, linked with libdmsc_node only, so the table must
 * come along with the files that use it rather than from a separate object.
 */
#ifndef DMSC_CLI_TABLE_H
#define DMSC_CLI_TABLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMSC_CLI_TABLE_MAX_COLS 10

typedef struct {
    size_t ncols, ncells, cap;
    char **cells;                        /* row by row; the first row is the header */
    bool right[DMSC_CLI_TABLE_MAX_COLS]; /* right-align this column's values */
    bool err;                            /* a cell could not be added (out of memory) */
} dmsc_cli_table_t;

/* An empty table of ncols (1..DMSC_CLI_TABLE_MAX_COLS) columns, all
 * left-aligned. */
static inline void dmsc_cli_table_init(dmsc_cli_table_t *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

/* Append one cell, printf-formatted. On out of memory, sets t->err and
 * ignores this and every later cell. */
__attribute__((format(printf, 2, 3))) static inline void dmsc_cli_table_cell(dmsc_cli_table_t *t,
                                                                             const char *fmt, ...)
{
    if (t->err) return;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16 * t->ncols;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            t->err = true;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) {
        t->err = true;
        return;
    }
    t->cells[t->ncells++] = s;
}

/* Print the complete rows to out (a trailing partial row is dropped), then
 * free the cells: the table is empty again, with the same columns and
 * alignment (t->err is kept). */
static inline void dmsc_cli_table_print(dmsc_cli_table_t *t, FILE *out)
{
    size_t w[DMSC_CLI_TABLE_MAX_COLS] = {0};
    size_t nrows = t->ncells / t->ncols;
    for (size_t i = 0; i < nrows * t->ncols; i++) {
        size_t n = strlen(t->cells[i]);
        if (n > w[i % t->ncols]) w[i % t->ncols] = n;
    }
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            bool last = c + 1 == t->ncols;
            if (t->right[c] && r > 0)
                fprintf(out, "%*s", (int)w[c], s);
            else if (last)
                fputs(s, out);
            else
                fprintf(out, "%-*s", (int)w[c], s);
            if (!last) fputs("  ", out);
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->ncells = t->cap = 0;
}

#endif
