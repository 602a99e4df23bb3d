/* Peers of asmforge's vector math, called through pointers: Rust cannot pass __m256/__m512
 * to extern "C" functions on stable, so each function here loops over whole vectors
 * (n must be a multiple of the width) and calls the peer on each. Compiled by bench/build.rs
 * (vmath_links) with the flags the width needs. */
#include <immintrin.h>
#include <stddef.h>
#include <sleef.h>

__m512 _ZGVeN16v_expf(__m512);
__m512d _ZGVeN8v_exp(__m512d);
__m512 _ZGVeN16v_exp2f(__m512);
__m512d _ZGVeN8v_exp2(__m512d);
__m512 _ZGVeN16v_logf(__m512);
__m512d _ZGVeN8v_log(__m512d);
__m512 _ZGVeN16v_log2f(__m512);
__m512d _ZGVeN8v_log2(__m512d);
__m512 _ZGVeN16v_sinf(__m512);
__m512d _ZGVeN8v_sin(__m512d);
__m512 _ZGVeN16v_cosf(__m512);
__m512d _ZGVeN8v_cos(__m512d);

void asmforge_vm_libmvec_expf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_expf(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_exp_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_exp(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_expf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_expf16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_exp_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_expd8_u10avx512f(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_exp2f_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_exp2f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_exp2_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_exp2(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_exp2f_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_exp2f16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_exp2_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_exp2d8_u10avx512f(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_logf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_logf(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_log_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_log(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_logf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_logf16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_log_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_logd8_u10avx512f(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_log2f_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_log2f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_log2_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_log2(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_log2f_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_log2f16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_log2_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_log2d8_u10avx512f(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_sinf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_sinf(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_sin_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_sin(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_sinf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_sinf16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_sin_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_sind8_u10avx512f(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_cosf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_cosf(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_cos_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_cos(_mm512_loadu_pd(x + i)));
}
void asmforge_vm_sleef_cosf_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_cosf16_u10avx512f(_mm512_loadu_ps(x + i)));
}
void asmforge_vm_sleef_cos_avx512(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, Sleef_cosd8_u10avx512f(_mm512_loadu_pd(x + i)));
}
