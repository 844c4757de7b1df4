//! The operation a CloudFormation request asks for.

/// The operation a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `Create`.
    Create,
    /// `Update`.
    Update,
    /// `Delete`.
    Delete,
}

impl Operation {
    /// The resource's status while CloudFormation makes such a request.
    pub fn in_progress(self) -> &'static str {
        match self {
            Operation::Create => "CREATE_IN_PROGRESS",
            Operation::Update => "UPDATE_IN_PROGRESS",
            Operation::Delete => "DELETE_IN_PROGRESS",
        }
    }

    /// What CloudFormation does to the resource meanwhile.
    pub fn doing(self) -> &'static str {
        match self {
            Operation::Create => "creating",
            Operation::Update => "updating",
            Operation::Delete => "deleting",
        }
    }
}
