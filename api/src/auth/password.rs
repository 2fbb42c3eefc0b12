//! argon2id password hashing (OWASP parameters: 19 MiB, t=2, p=1) on threads of its own, at the
//! lowest CPU priority and limited in number, so that a login flood cannot starve other requests
//! of CPU or memory: they run whenever a core is free and yield it to anything else.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};

use crate::error::{AppError, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Clone)]
pub struct Passwords {
    hashers: Arc<Hashers>,
    /// Verified against when the account does not exist, so that an unknown email costs the
    /// same time as a wrong password.
    dummy_hash: Arc<str>,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_blocking(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    OsRng.unwrap_err().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(anyhow::anyhow!("salt: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    pub fn new(max_concurrent: usize) -> Self {
        let dummy = hash_blocking("not a real password, never matches").expect("argon2 works");
        Self { hashers: Arc::new(Hashers::start(max_concurrent.max(1))), dummy_hash: dummy.into() }
    }

    /// Checks a new password against the policy; `field` names the input at fault.
    pub fn validate_new(password: &str, field: &str) -> AppResult<()> {
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(AppError::invalid(field, format!("password must be at least {MIN_PASSWORD_CHARS} characters")));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(AppError::invalid(field, format!("password must be at most {MAX_PASSWORD_CHARS} characters")));
        }
        Ok(())
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is no account.
    /// Returns false for a missing account whatever the password.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Ok(false);
        }
        let exists = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(exists && matches)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        self.hashers.run(work).await
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, fed in order of arrival. They end when the last `Passwords` goes.
struct Hashers {
    jobs: mpsc::Sender<Job>,
}

impl Hashers {
    fn start(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lowest_priority();
                    loop {
                        let job = queue.lock().map_err(drop).and_then(|queue| queue.recv().map_err(drop));
                        let Ok(job) = job else { return };
                        // A job that panics drops its answer (the caller gets INTERNAL); the thread stays.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .expect("the operating system starts a hashing thread");
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread once one is free. A caller that goes away (a client
    /// disconnecting) does not cancel work already queued: it runs, and its answer is dropped.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let stopped = || AppError::internal(anyhow::anyhow!("the password hashing threads stopped"));
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(work());
        });
        self.jobs.send(job).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())
    }
}

/// Puts the calling thread at the lowest CPU priority (nice 19): the scheduler gives it a core
/// only when the async workers and the database have nothing to run.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: both calls take and return plain integers; on Linux the nice value belongs to
        // a thread, named here by its own ID.
        let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19) } != 0;
        if failed {
            tracing::warn!("cannot lower the priority of a password hashing thread");
        }
    }
}
