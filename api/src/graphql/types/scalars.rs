use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date, `YYYY-MM-DD` (due dates are days in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
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
