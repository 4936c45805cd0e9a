//! [`Sealer`] with ChaCha20-Poly1305 (ring): the secrets an outbox message carries (a
//! password-reset token) are sealed under a key derived by HKDF-SHA256 from the server's secret
//! (label `outbox seal`), a random nonce stored in front. Every instance and worker configured
//! with the same secret opens what another sealed; the database alone cannot.

use boxoffice_domain::ports::Sealer;
use boxoffice_domain::DomainError;
use ring::aead::{self, Aad, LessSafeKey, Nonce, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

const SALT: &[u8] = b"boxoffice outbox seal v1";

pub struct RingSealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl RingSealer {
    /// The sealer of `secret` (e.g. `auth.jwt_secret`: one secret the deployment already keeps).
    pub fn new(secret: &[u8]) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(secret);
        let unbound: aead::UnboundKey = prk
            .expand(&[b"outbox seal"], &aead::CHACHA20_POLY1305)
            .expect("HKDF-SHA256 expands to a ChaCha20-Poly1305 key")
            .into();
        Self {
            key: LessSafeKey::new(unbound),
            random: SystemRandom::new(),
        }
    }
}

impl Sealer for RingSealer {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, DomainError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| DomainError::internal("no randomness for a nonce"))?;
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
            .map_err(|_| DomainError::internal("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, DomainError> {
        let failed = || DomainError::internal("sealed bytes do not open");
        if sealed.len() < NONCE_LEN {
            return Err(failed());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| failed())?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut body)
            .map_err(|_| failed())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let a = RingSealer::new(b"secret one");
        let sealed = a.seal(b"the token").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"the token".as_slice());
        assert_eq!(a.open(&sealed).unwrap(), b"the token");
        // Another instance with the same secret opens it; another secret does not.
        assert_eq!(
            RingSealer::new(b"secret one").open(&sealed).unwrap(),
            b"the token"
        );
        assert!(RingSealer::new(b"secret two").open(&sealed).is_err());
        // Tampered or short bytes do not open.
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(a.open(&tampered).is_err());
        assert!(a.open(&sealed[..5]).is_err());
        // Two seals of the same text differ (a fresh nonce each).
        assert_ne!(a.seal(b"the token").unwrap(), sealed);
    }
}
