//! The bodies of every email, plain text and HTML, from the templates in `api/templates/mail`
//! (compiled into the binary). HTML templates escape what they insert; text ones do not.

use minijinja::Environment;
use serde::Serialize;

use crate::error::{AppError, AppResult};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/mail/", $name)))),*]
    };
}

const TEMPLATES: [(&str, &str); 13] = templates![
    "layout.html",
    "invitation.txt",
    "invitation.html",
    "password_reset.txt",
    "password_reset.html",
    "verify_email.txt",
    "verify_email.html",
    "sign_up_taken.txt",
    "sign_up_taken.html",
    "nudge.txt",
    "nudge.html",
    "digest.txt",
    "digest.html",
];

/// A message's two bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Bodies {
    pub text: String,
    pub html: String,
}

pub struct Templates(Environment<'static>);

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("the mail templates parse");
        }
        Self(env)
    }

    /// The text and HTML bodies of the template `name` (`name.txt`, `name.html`) for `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> AppResult<Bodies> {
        let context = minijinja::Value::from(minijinja::value::Serde(&context));
        let render = |file: String| {
            self.0
                .get_template(&file)
                .and_then(|template| template.render(context.clone()))
                .map_err(|e| AppError::internal(anyhow::anyhow!("mail template {file}: {e}")))
        };
        Ok(Bodies { text: render(format!("{name}.txt"))?, html: render(format!("{name}.html"))? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_escape_what_they_insert_and_text_bodies_keep_it() {
        let bodies = Templates::new()
            .render(
                "nudge",
                serde_json::json!({
                    "subject": "s", "name": "Ann <script>", "headline": "h", "title": "Fix <b>it</b>",
                    "detail": "d", "link": "https://app.example/reviews/1", "unsubscribe_url": "https://api.example/u?t=1",
                }),
            )
            .unwrap();
        assert!(bodies.html.contains("Fix &lt;b&gt;it"), "{}", bodies.html);
        assert!(!bodies.html.contains("<b>") && !bodies.html.contains("<script>"));
        assert!(bodies.text.contains("Fix <b>it</b>"));
        assert!(bodies.text.contains("https://api.example/u?t=1"));
    }
}
