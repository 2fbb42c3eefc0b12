use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`, years 1000 to 9999), e.g. `2026-11-20`.
/// Due dates are days in UTC.
#[Scalar(name = "Date", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // Exactly YYYY-MM-DD, years 1000 to 9999: far-off dates would overflow date arithmetic.
            Value::String(text) if text.len() == 10 => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("`{text}` is not a date of the form YYYY-MM-DD"))),
            Value::String(text) => {
                Err(InputValueError::custom(format!("`{text}` is not a date of the form YYYY-MM-DD")))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

/// Any JSON value (RFC 8259), sent as the GraphQL value itself (an object stays an object,
/// not a string).
#[Scalar(name = "JSON", specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259")]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(Json(async_graphql::from_value(value)?))
    }

    fn to_value(&self) -> Value {
        async_graphql::to_value(&self.0).unwrap_or_default()
    }
}
