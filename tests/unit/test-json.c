/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON writer: commas, nesting, escaping, invalid UTF-8, misuse. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "defragd/json.h"
#include "defragd/util.h"
#include "test-util.h"

/* Run fn on a memory stream; returns the text (caller frees) and *r. */
static char *capture(void (*fn)(struct df_json *j), bool pretty, int *r) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct df_json j;

        if (!f)
                return NULL;
        df_json_init(&j, f, pretty);
        fn(&j);
        *r = df_json_finish(&j);
        fclose(f);
        return buf;
}

static void doc_basic(struct df_json *j) {
        df_json_begin_object(j);
        df_json_kv_string(j, "s", "a\"b\\c\n\t\x01/é");
        df_json_kv_u64(j, "u", UINT64_MAX);
        df_json_kv_i64(j, "i", -5);
        df_json_kv_double(j, "d", 0.0665, 3);
        df_json_kv_double(j, "nan", NAN, 3);
        df_json_kv_bool(j, "b", false);
        df_json_key(j, "a");
        df_json_begin_array(j);
        df_json_u64(j, 1);
        df_json_begin_object(j);
        df_json_end_object(j);
        df_json_begin_array(j);
        df_json_end_array(j);
        df_json_null(j);
        df_json_string(j, NULL);
        df_json_end_array(j);
        df_json_kv_string(j, "bad", "\xff\xc3(ok\xe2\x82");
        df_json_end_object(j);
}

static void test_basic(void) {
        _cleanup_free_ char *out = NULL;
        int r = 1;

        out = capture(doc_basic, false, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_STREQ(out, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/é\",\"u\":18446744073709551615,\"i\":-5,"
                          "\"d\":0.067,\"nan\":null,\"b\":false,\"a\":[1,{},[],null,null],"
                          "\"bad\":\"\\ufffd\\ufffd(ok\\ufffd\\ufffd\"}\n");
}

static void doc_pretty(struct df_json *j) {
        df_json_begin_object(j);
        df_json_key(j, "n");
        df_json_begin_array(j);
        df_json_u64(j, 1);
        df_json_u64(j, 2);
        df_json_end_array(j);
        df_json_end_object(j);
}

static void test_pretty(void) {
        _cleanup_free_ char *out = NULL;
        int r = 1;

        out = capture(doc_pretty, true, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_STREQ(out, "{\n  \"n\": [\n    1,\n    2\n  ]\n}\n");
}

static void doc_value_without_key(struct df_json *j) {
        df_json_begin_object(j);
        df_json_u64(j, 1);
        df_json_end_object(j);
}
static void doc_unbalanced(struct df_json *j) {
        df_json_begin_array(j);
        df_json_end_object(j);
}
static void doc_unclosed(struct df_json *j) {
        df_json_begin_array(j);
}
static void doc_key_in_array(struct df_json *j) {
        df_json_begin_array(j);
        df_json_key(j, "k");
        df_json_end_array(j);
}
static void doc_two_roots(struct df_json *j) {
        df_json_u64(j, 1);
        df_json_u64(j, 2);
}
static void doc_too_deep(struct df_json *j) {
        for (int i = 0; i < DF_JSON_MAX_DEPTH + 1; i++)
                df_json_begin_array(j);
        for (int i = 0; i < DF_JSON_MAX_DEPTH + 1; i++)
                df_json_end_array(j);
}
static void doc_empty(struct df_json *j) {
}

static void test_misuse(void) {
        void (*docs[])(struct df_json *) = { doc_value_without_key, doc_unbalanced, doc_unclosed,
                                             doc_key_in_array, doc_two_roots, doc_too_deep, doc_empty };

        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                _cleanup_free_ char *out = NULL;
                int r = 0;

                out = capture(docs[i], false, &r);
                ASSERT_EQ_INT(r, -EINVAL);
        }
}

static void test_write_error(void) {
        FILE *f = fopen("/dev/full", "w");
        struct df_json j;

        if (!f)
                return; /* no /dev/full: nothing to test here */
        setvbuf(f, NULL, _IONBF, 0);
        df_json_init(&j, f, false);
        df_json_begin_array(&j);
        df_json_end_array(&j);
        ASSERT_EQ_INT(df_json_finish(&j), -EIO);
        fclose(f);
}

int main(void) {
        RUN_TEST(test_basic);
        RUN_TEST(test_pretty);
        RUN_TEST(test_misuse);
        RUN_TEST(test_write_error);
        return test_summary();
}
