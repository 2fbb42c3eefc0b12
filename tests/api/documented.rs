//! The schema describes itself: every type, field, argument, input field and enum value a
//! client sees carries a description, and every custom scalar names its specification.

use serde_json::{Value, json};

use crate::harness::TestApp;

/// The scalars every GraphQL server has, described by the GraphQL specification itself.
const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

const INTROSPECTION: &str = r#"{
  __schema {
    types {
      kind
      name
      description
      specifiedByURL
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}"#;

/// The schema's own types (not introspection's `__` types, not the built-in scalars), as
/// introspection shows them.
async fn schema_types() -> Vec<Value> {
    let app = TestApp::new().await;
    let answer = app.exec(None, INTROSPECTION, json!({})).await;
    let types = answer.data()["__schema"]["types"].as_array().expect("a list of types").clone();
    types
        .into_iter()
        .filter(|ty| {
            let name = ty["name"].as_str().expect("a named type");
            !name.starts_with("__") && !BUILT_IN_SCALARS.contains(&name)
        })
        .collect()
}

fn described(item: &Value) -> bool {
    item["description"].as_str().is_some_and(|text| !text.trim().is_empty())
}

fn name(item: &Value) -> &str {
    item["name"].as_str().expect("a name")
}

fn items<'a>(ty: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    ty[key].as_array().into_iter().flatten()
}

/// Every schema coordinate without a description: `Type`, `Type.field`, `Type.field(argument)`,
/// `Input.field`, `Enum.VALUE`.
fn undescribed(types: &[Value]) -> Vec<String> {
    let mut missing = Vec::new();
    for ty in types {
        let type_name = name(ty);
        if !described(ty) {
            missing.push(type_name.to_owned());
        }
        for field in items(ty, "fields") {
            let field_name = name(field);
            if !described(field) {
                missing.push(format!("{type_name}.{field_name}"));
            }
            for argument in items(field, "args").filter(|a| !described(a)) {
                missing.push(format!("{type_name}.{field_name}({})", name(argument)));
            }
        }
        for input_field in items(ty, "inputFields").filter(|f| !described(f)) {
            missing.push(format!("{type_name}.{}", name(input_field)));
        }
        for value in items(ty, "enumValues").filter(|v| !described(v)) {
            missing.push(format!("{type_name}.{}", name(value)));
        }
    }
    missing
}

#[tokio::test]
async fn every_type_field_argument_input_field_and_enum_value_is_described() {
    let types = schema_types().await;
    assert!(types.iter().any(|ty| name(ty) == "Mutation"), "introspection shows the schema's types");
    let missing = undescribed(&types);
    assert!(
        missing.is_empty(),
        "{} schema coordinate(s) have no description; write a doc comment (or `#[graphql(desc = \"…\")]` \
         on an argument) for each:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[tokio::test]
async fn every_custom_scalar_names_its_specification() {
    let types = schema_types().await;
    let scalars: Vec<&Value> = types.iter().filter(|ty| ty["kind"] == "SCALAR").collect();
    let names: Vec<&str> = scalars.iter().map(|ty| name(ty)).collect();
    for expected in ["Date", "DateTime", "JSON"] {
        assert!(names.contains(&expected), "the schema has the custom scalar {expected}: {names:?}");
    }
    let unspecified: Vec<&str> = scalars
        .iter()
        .filter(|ty| !ty["specifiedByURL"].as_str().is_some_and(|url| url.starts_with("https://")))
        .map(|ty| name(ty))
        .collect();
    assert!(
        unspecified.is_empty(),
        "custom scalars without an https specifiedByURL (`specified_by_url` on the scalar): {unspecified:?}"
    );
    let date = scalars.iter().find(|ty| name(ty) == "Date").expect("Date");
    assert!(date["specifiedByURL"].as_str().is_some_and(|url| url.contains("rfc3339")), "{date:#}");
}
