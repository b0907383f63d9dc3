//! Repository operations through the SDK.

use crate::assert_err;
use crate::common::*;

#[tokio::test]
async fn create_returns_aws_shaped_metadata() {
    let server = TestServer::start();
    let client = server.client();
    let out = client
        .create_repository()
        .repository_name("my-app")
        .repository_description("the app")
        .send()
        .await
        .unwrap();
    let md = out.repository_metadata.unwrap();
    assert_eq!(md.account_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(md.repository_name(), Some("my-app"));
    assert_eq!(md.repository_description(), Some("the app"));
    assert_eq!(
        md.arn(),
        Some("arn:aws:codecommit:us-east-1:000000000000:my-app")
    );
    assert_eq!(
        md.clone_url_http(),
        Some(server.clone_url("my-app").as_str())
    );
    assert_eq!(md.kms_key_id(), Some("alias/aws/codecommit"));
    assert!(md.default_branch().is_none());
    let id = md.repository_id().unwrap();
    assert_eq!(id.len(), 36);
    assert!(md.creation_date().is_some());

    assert_err!(
        client
            .create_repository()
            .repository_name("my-app")
            .send()
            .await,
        "RepositoryNameExistsException"
    );
}
