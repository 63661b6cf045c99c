/** A refusal or failure, announced at once by screen readers (`role=alert`); nothing when empty. */
export function Alert({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p role="alert" class="alert">
      {message}
    </p>
  )
}
