// Bridges the libsrtp 3 API the mediasoup worker is written for to Debian's libsrtp 2.5.
// libsrtp 2 protects in place with an int length; libsrtp 3 takes separate in/out buffers.
#pragma once
#ifdef __cplusplus
#include <srtp2/srtp.h>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define srtp_stream_remove srtp_remove_stream

// Values unused by libsrtp 2; only used as map keys for error strings.
static constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(1000);
static constexpr srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(1001);

namespace stagecast_srtp_compat
{
	using InPlaceFn = srtp_err_status_t (*)(srtp_t, void*, int*);

	inline srtp_err_status_t Run(
	  InPlaceFn fn, srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen)
	{
		if (inLen > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;
		if (in != out)
			std::memmove(out, in, inLen);
		int len = static_cast<int>(inLen);
		const srtp_err_status_t err = fn(ctx, out, &len);
		if (err == srtp_err_status_ok)
			*outLen = static_cast<size_t>(len);
		return err;
	}
} // namespace stagecast_srtp_compat

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t /*mki*/ = 0)
{
	return stagecast_srtp_compat::Run(::srtp_protect, ctx, in, inLen, out, outLen);
}
inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen)
{
	return stagecast_srtp_compat::Run(::srtp_unprotect, ctx, in, inLen, out, outLen);
}
inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t /*mki*/ = 0)
{
	return stagecast_srtp_compat::Run(::srtp_protect_rtcp, ctx, in, inLen, out, outLen);
}
inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen)
{
	return stagecast_srtp_compat::Run(::srtp_unprotect_rtcp, ctx, in, inLen, out, outLen);
}
#endif
