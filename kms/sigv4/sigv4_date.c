#include "kms/sigv4/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int sigv4_format_amz_date(time_t t, char *out, size_t out_cap)
{
    struct tm tm;
    if (out == NULL || out_cap < SIGV4_AMZ_DATE_LEN + 1)
        return SIGV4_ERR_BUFFER_TOO_SMALL;
    if (gmtime_r(&t, &tm) == NULL)
        return SIGV4_ERR_ARGUMENT;
    if (strftime(out, out_cap, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_AMZ_DATE_LEN)
        return SIGV4_ERR_ARGUMENT;
    return SIGV4_OK;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int sigv4_parse_amz_date(const char *amz_date, time_t *out)
{
    int y, mo, d, h, mi, s;
    if (amz_date == NULL || out == NULL || strlen(amz_date) != SIGV4_AMZ_DATE_LEN ||
        amz_date[8] != 'T' || amz_date[15] != 'Z')
        return SIGV4_ERR_ARGUMENT;
    if (!digits(amz_date, 4, &y) || !digits(amz_date + 4, 2, &mo) || !digits(amz_date + 6, 2, &d) ||
        !digits(amz_date + 9, 2, &h) || !digits(amz_date + 11, 2, &mi) ||
        !digits(amz_date + 13, 2, &s))
        return SIGV4_ERR_ARGUMENT;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return SIGV4_ERR_ARGUMENT;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    *out = timegm(&tm);
    return SIGV4_OK;
}
