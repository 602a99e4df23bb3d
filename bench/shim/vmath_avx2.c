/* Peers of asmforge's vector math, called through pointers: Rust cannot pass __m256/__m512
 * to extern "C" functions on stable, so each function here loops over whole vectors
 * (n must be a multiple of the width) and calls the peer on each. Compiled by bench/build.rs
 * (vmath_links) with the flags the width needs. */
#include <immintrin.h>
#include <stddef.h>
#include <sleef.h>

__m256 _ZGVdN8v_expf(__m256);
__m256d _ZGVdN4v_exp(__m256d);
__m256 _ZGVdN8v_exp2f(__m256);
__m256d _ZGVdN4v_exp2(__m256d);
__m256 _ZGVdN8v_logf(__m256);
__m256d _ZGVdN4v_log(__m256d);
__m256 _ZGVdN8v_log2f(__m256);
__m256d _ZGVdN4v_log2(__m256d);
__m256 _ZGVdN8v_sinf(__m256);
__m256d _ZGVdN4v_sin(__m256d);
__m256 _ZGVdN8v_cosf(__m256);
__m256d _ZGVdN4v_cos(__m256d);

void asmforge_vm_libmvec_expf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_expf(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_exp_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_exp(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_expf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_expf8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_exp_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_expd4_u10avx2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_exp2f_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_exp2f(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_exp2_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_exp2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_exp2f_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_exp2f8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_exp2_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_exp2d4_u10avx2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_logf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_logf(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_log_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_log(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_logf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_logf8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_log_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_logd4_u10avx2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_log2f_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_log2f(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_log2_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_log2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_log2f_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_log2f8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_log2_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_log2d4_u10avx2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_sinf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_sinf(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_sin_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_sin(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_sinf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_sinf8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_sin_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_sind4_u10avx2(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_libmvec_cosf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_cosf(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_libmvec_cos_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_cos(_mm256_loadu_pd(x + i)));
}
void asmforge_vm_sleef_cosf_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_cosf8_u10avx2(_mm256_loadu_ps(x + i)));
}
void asmforge_vm_sleef_cos_avx2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_cosd4_u10avx2(_mm256_loadu_pd(x + i)));
}
