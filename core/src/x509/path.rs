//! Path building (RFC 4158) and the per-path checks of RFC 5280 §6.1.

use time::OffsetDateTime;

use super::cert::Certificate;
use super::constraints as c;
use super::crl::check_revocation;
use super::error::CertError;
use super::name_constraints::{self as nc, names_of};
use super::validity::check_validity;
use super::{ChainFailure, ChainLink, Purpose, ValidChain, ValidationOptions};

/// Validates `leaf` up to one of `roots`, using any of `intermediates`.
/// Returns the first path that passes every check, trying trust anchors
/// before intermediates at each step and backtracking on failure; on
/// failure, the most specific error across all attempted paths.
pub fn validate(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    opts: &ValidationOptions,
) -> Result<ValidChain, ChainFailure> {
    // RFC 5280 §4.1.2.5: validity bounds are whole seconds, so the time is
    // compared at that granularity (floor), as CAs and root programs read
    // it (x509-limbo rfc5280::validity::notafter-fractional).
    let at = opts.time.resolve();
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let mut pool: Vec<(&Certificate, bool)> = roots.iter().map(|r| (r, true)).collect();
    for i in intermediates {
        if !roots.iter().any(|r| r == i) && !pool.iter().any(|(p, _)| *p == i) {
            pool.push((i, false));
        }
    }
    let mut search = Search {
        opts,
        at,
        pool,
        sig_checks: 0,
        exhausted: false,
        best: None,
    };
    if let Err(e) = search.check_leaf(leaf) {
        return Err(failure(vec![leaf], 0, e, at));
    }
    let mut path = vec![leaf];
    if let Some(chain) = search.extend(&mut path) {
        return Ok(ValidChain {
            certificates: chain.into_iter().cloned().collect(),
            time: at,
        });
    }
    let best = search.best.unwrap_or(Attempt {
        path: vec![leaf],
        index: 0,
        error: CertError::UnknownIssuer,
    });
    Err(failure(best.path, best.index, best.error, at))
}

fn failure(
    path: Vec<&Certificate>,
    index: usize,
    error: CertError,
    at: OffsetDateTime,
) -> ChainFailure {
    ChainFailure {
        chain: path
            .into_iter()
            .enumerate()
            .map(|(i, cert)| ChainLink {
                certificate: cert.clone(),
                error: (i == index).then(|| error.clone()),
            })
            .collect(),
        error,
        time: at,
    }
}

struct Attempt<'a> {
    path: Vec<&'a Certificate>,
    index: usize,
    error: CertError,
}

struct Search<'a, 'o> {
    opts: &'o ValidationOptions,
    at: OffsetDateTime,
    pool: Vec<(&'a Certificate, bool)>,
    sig_checks: usize,
    exhausted: bool,
    best: Option<Attempt<'a>>,
}

impl<'a> Search<'a, '_> {
    /// Checks of the end-entity certificate that do not depend on the path.
    fn check_leaf(&self, leaf: &Certificate) -> Result<(), CertError> {
        let purpose = self.opts.purpose;
        c::check_well_formed(leaf)?;
        check_validity(leaf, self.at)?;
        c::check_extension_consistency(leaf)?;
        c::check_serial(leaf)?;
        c::check_aki(leaf)?;
        c::check_san_syntax(leaf)?;
        if purpose == Purpose::ServerAuth {
            c::check_tls_leaf(leaf)?;
        }
        c::check_leaf_usage(leaf, purpose, self.opts.cabf_tls_eku, &self.opts.extra_ekus)?;
        c::check_required_key_usage(leaf, self.opts.required_key_usage)?;
        if let Some(name) = &self.opts.peer_name
            && !name.matches(leaf)
        {
            return Err(CertError::PeerNameMismatch {
                expected: name.to_string(),
            });
        }
        Ok(())
    }

    /// Checks of a certificate in issuer position; `below` counts the
    /// non-self-issued intermediates between it and the leaf.
    fn check_issuer(
        &self,
        cert: &Certificate,
        below: usize,
        anchor: bool,
    ) -> Result<(), CertError> {
        c::check_well_formed_as(cert, anchor)?;
        check_validity(cert, self.at)?;
        c::check_extension_consistency(cert)?;
        c::check_ca(cert, below)?;
        if !anchor {
            c::check_serial(cert)?;
        }
        if !anchor || self.opts.anchor_aki_required {
            c::check_aki(cert)?;
        }
        c::check_ca_eku(cert, self.opts.purpose)?;
        if anchor && self.opts.purpose == Purpose::ServerAuth {
            c::check_tls_root_aki(cert)?;
            if self.opts.cabf_tls_eku {
                c::check_tls_root_eku(cert)?;
            }
        }
        if let Some(constraints) = &cert.extensions().name_constraints {
            nc::check_constraints_syntax(constraints)?;
        }
        Ok(())
    }

    fn record(&mut self, path: &[&'a Certificate], index: usize, error: CertError) {
        let better = match &self.best {
            None => true,
            Some(b) => (error.rank(), path.len()) > (b.error.rank(), b.path.len()),
        };
        if better {
            self.best = Some(Attempt {
                path: path.to_vec(),
                index,
                error,
            });
        }
    }

    /// Depth-first search for an issuer of `path.last()`.
    fn extend(&mut self, path: &mut Vec<&'a Certificate>) -> Option<Vec<&'a Certificate>> {
        let child = *path.last().expect("path starts with the leaf");
        let below = path[1..].iter().filter(|c| !c.is_self_issued()).count();
        let mut found = false;
        for i in 0..self.pool.len() {
            let (cand, anchor) = self.pool[i];
            if !cand.subject().matches(child.issuer()) {
                continue;
            }
            // RFC 5280 §4.2.1.1: when both identifiers exist they must agree.
            if let (Some(aki), Some(ski)) = (
                child
                    .extensions()
                    .aki
                    .as_ref()
                    .and_then(|a| a.key_id.as_ref()),
                cand.extensions().ski.as_ref(),
            ) && aki != ski
            {
                continue;
            }
            // RFC 4158 §5.2: never revisit a (subject, key) pair.
            if path
                .iter()
                .any(|p| p.spki_der() == cand.spki_der() && p.subject().matches(cand.subject()))
            {
                continue;
            }
            found = true;
            let mut attempt = path.clone();
            attempt.push(cand);
            let last = attempt.len() - 1;

            let depth = below + usize::from(!anchor && !cand.is_self_issued());
            if depth > self.opts.max_depth || path.len() > 2 * self.opts.max_depth + 2 {
                self.record(
                    &attempt,
                    last,
                    CertError::MaxDepthExceeded {
                        max: self.opts.max_depth,
                    },
                );
                continue;
            }
            if let Err(e) = self.check_issuer(cand, below, anchor) {
                self.record(&attempt, last, e);
                continue;
            }
            if self.sig_checks >= self.opts.max_signature_checks {
                self.exhausted = true;
                self.record(
                    &attempt,
                    last,
                    CertError::BudgetExhausted {
                        checks: self.sig_checks,
                    },
                );
                return None;
            }
            self.sig_checks += 1;
            if let Err(e) = verify_link(child, cand) {
                self.record(&attempt, last - 1, e);
                continue;
            }
            if let Some(constraints) = &cand.extensions().name_constraints {
                let ca = cand.subject().to_string();
                let mut violation = None;
                for (j, sub) in path.iter().enumerate() {
                    // §6.1.3(b)(c): self-issued intermediates are exempt.
                    if j > 0 && sub.is_self_issued() {
                        continue;
                    }
                    let cn_as_dns = j == 0 && self.opts.purpose == Purpose::ServerAuth;
                    if let Err(e) = nc::check(constraints, &names_of(sub, cn_as_dns), &ca) {
                        violation = Some((j, e));
                        break;
                    }
                }
                if let Some((j, e)) = violation {
                    self.record(&attempt, j, e);
                    continue;
                }
            }
            if anchor {
                match self.check_crls(&attempt) {
                    Ok(()) => return Some(attempt),
                    Err((j, e)) => {
                        self.record(&attempt, j, e);
                        continue;
                    }
                }
            }
            path.push(cand);
            let result = self.extend(path);
            path.pop();
            if result.is_some() || self.exhausted {
                return result;
            }
        }
        if !found {
            let last = path.len() - 1;
            self.record(&path.clone(), last, CertError::UnknownIssuer);
        }
        None
    }

    fn check_crls(&self, chain: &[&Certificate]) -> Result<(), (usize, CertError)> {
        if self.opts.crls.is_empty() {
            return Ok(());
        }
        for (j, pair) in chain.windows(2).enumerate() {
            check_revocation(pair[0], pair[1], &self.opts.crls, self.at).map_err(|e| (j, e))?;
        }
        Ok(())
    }
}

/// §6.1.3(a)(1): `child`'s signature verifies under `issuer`'s key with an
/// allowed algorithm.
fn verify_link(child: &Certificate, issuer: &Certificate) -> Result<(), CertError> {
    let alg = child
        .signature_algorithm()
        .map_err(|e| CertError::DisallowedSignatureAlgorithm {
            reason: e.to_string(),
        })?;
    let key = issuer.public_key().map_err(|e| CertError::DisallowedKey {
        reason: e.to_string(),
    })?;
    super::algorithm::verify_with_key(key, alg, child.tbs(), child.signature()).map_err(|e| {
        CertError::BadSignature {
            reason: e.to_string(),
        }
    })
}
