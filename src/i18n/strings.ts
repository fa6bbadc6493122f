// UI strings. English is the reference: every key must exist in it, and the Korean table is
// checked against it by the type below, so a missing translation fails `npm run check`.

export const en = {
  appTitle: "Docker Sandbox",
  appTagline: "A real Docker engine, running in your browser",
  skipToTerminal: "Skip to terminal",
  language: "Language",
  theme: "Theme",
  themeSystem: "System",
  themeLight: "Light",
  themeDark: "Dark",
  lessonPane: "Lesson",
  lessonPlaceholderTitle: "Lessons are coming",
  lessonPlaceholderBody:
    "While the lessons load, try the terminal: type `docker version` or `docker run --rm hello-world`.",
  terminals: "Terminals",
  terminal: "Terminal {n}",
  terminalLabel: "Terminal {n}, connected to the guest's shell",
  resizePanes: "Resize panes",
  zoomIn: "Larger text",
  zoomOut: "Smaller text",
  zoomReset: "Reset text size",
  screenReader: "Screen reader",
  copy: "Copy",
  paste: "Paste",
  selectAll: "Select all",
  clear: "Clear screen",
  pasteBlocked: "The browser blocked clipboard access. Use Ctrl+Shift+V to paste.",
  resetMachine: "Reset machine",
  resetConfirmTitle: "Reset the machine?",
  resetConfirmBody:
    "Every container, image and file you made in the machine is lost; it goes back to how it started. Your lesson progress is kept.",
  resetConfirm: "Reset",
  cancel: "Cancel",
  phase_idle: "Waiting",
  phase_downloading: "Downloading the machine",
  phase_restoring: "Restoring the machine",
  phase_booting: "Booting",
  "phase_starting-engine": "Starting the Docker engine",
  phase_ready: "Ready",
  phase_busy: "Busy",
  phase_crashed: "Crashed",
  phase_error: "Error",
  engine: "Engine",
  memory: "Memory",
  memoryValue: "{used} of {total} MB",
  fromCache: "started from this browser's cache",
  fromNetwork: "downloaded",
  noCaching: "Storage is full or blocked: running without caching, the next visit downloads again.",
  progressLabel: "Start-up progress",
  progressBytes: "{loaded} of {total} MB ({percent}%)",
  retry: "Try again",
  startFailed: "The machine could not start.",
  crashedBody: "The machine stopped responding. Reset it to continue.",
  unsupportedTitle: "This browser cannot run the sandbox",
  unsupportedIntro: "The Docker sandbox runs a whole Linux computer inside this page. It needs:",
  needWasm: "WebAssembly (to run the emulator)",
  needWorker: "Web Workers (to run it without freezing the page)",
  needStorage: "Site storage (IndexedDB), to keep the 20 MB machine between visits",
  unsupportedHint:
    "Private or incognito windows often block storage. Open this page in a normal window of a current Chrome, Edge, Firefox or Safari.",
  missing: "missing",
  available: "available",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

export const ko: Messages = {
  appTitle: "도커 샌드박스",
  appTagline: "브라우저 안에서 돌아가는 진짜 도커 엔진",
  skipToTerminal: "터미널로 건너뛰기",
  language: "언어",
  theme: "테마",
  themeSystem: "시스템",
  themeLight: "밝게",
  themeDark: "어둡게",
  lessonPane: "레슨",
  lessonPlaceholderTitle: "레슨을 준비하고 있어요",
  lessonPlaceholderBody:
    "레슨이 열리는 동안 터미널을 써 보세요: `docker version` 이나 `docker run --rm hello-world` 를 입력해 보세요.",
  terminals: "터미널",
  terminal: "터미널 {n}",
  terminalLabel: "터미널 {n}, 게스트 셸에 연결됨",
  resizePanes: "창 크기 조절",
  zoomIn: "글자 크게",
  zoomOut: "글자 작게",
  zoomReset: "글자 크기 초기화",
  screenReader: "스크린 리더",
  copy: "복사",
  paste: "붙여넣기",
  selectAll: "모두 선택",
  clear: "화면 지우기",
  pasteBlocked: "브라우저가 클립보드 접근을 막았어요. Ctrl+Shift+V 로 붙여넣으세요.",
  resetMachine: "머신 초기화",
  resetConfirmTitle: "머신을 초기화할까요?",
  resetConfirmBody:
    "머신 안에서 만든 컨테이너, 이미지, 파일이 모두 사라지고 처음 상태로 돌아갑니다. 레슨 진행 상황은 유지됩니다.",
  resetConfirm: "초기화",
  cancel: "취소",
  phase_idle: "대기 중",
  phase_downloading: "머신 내려받는 중",
  phase_restoring: "머신 복원 중",
  phase_booting: "부팅 중",
  "phase_starting-engine": "도커 엔진 시작 중",
  phase_ready: "준비됨",
  phase_busy: "작업 중",
  phase_crashed: "멈춤",
  phase_error: "오류",
  engine: "엔진",
  memory: "메모리",
  memoryValue: "{total} MB 중 {used} MB",
  fromCache: "이 브라우저의 캐시에서 시작함",
  fromNetwork: "내려받음",
  noCaching:
    "저장 공간이 가득 찼거나 막혀 있어 캐시 없이 실행 중입니다. 다음 방문 때 다시 내려받습니다.",
  progressLabel: "시작 진행률",
  progressBytes: "{total} MB 중 {loaded} MB ({percent}%)",
  retry: "다시 시도",
  startFailed: "머신을 시작하지 못했습니다.",
  crashedBody: "머신이 응답하지 않습니다. 초기화해서 계속하세요.",
  unsupportedTitle: "이 브라우저에서는 샌드박스를 실행할 수 없어요",
  unsupportedIntro:
    "도커 샌드박스는 이 페이지 안에서 리눅스 컴퓨터 전체를 실행합니다. 다음이 필요합니다:",
  needWasm: "WebAssembly (에뮬레이터 실행)",
  needWorker: "Web Worker (페이지가 멈추지 않게 실행)",
  needStorage: "사이트 저장소 (IndexedDB), 20 MB 머신을 방문 사이에 보관",
  unsupportedHint:
    "비공개(시크릿) 창은 저장소를 막는 경우가 많습니다. 최신 Chrome, Edge, Firefox, Safari 의 일반 창에서 열어 주세요.",
  missing: "없음",
  available: "사용 가능",
};

export const locales = { en, ko } as const;
export type Locale = keyof typeof locales;
export const localeNames: Record<Locale, string> = { en: "English", ko: "한국어" };

/** Fills `{name}` placeholders; an unknown placeholder stays visible so it is noticed. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Picks the first supported language from the browser's preference list. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "ko") return "ko";
    if (base === "en") return "en";
  }
  return "en";
}
